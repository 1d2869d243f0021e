"""The simulated services behind botocore's clients.

A `before-call` handler answers each request once botocore has validated and serialized it (the
request as it would go on the wire: the JSON body, or the REST method, path, query and headers),
with the status, headers and body AWS would send. botocore's own parser reads that answer, and
the client raises the error class for its code as for a real response. Skipped, to keep the
simulation fast: signing, the HTTP layer and botocore's retry handler. The simulation never
answers an error botocore would retry to a client configured to retry (it checks, and raises if
it would), so skipping the retry handler changes nothing. Every call takes virtual time.

Two more savings, neither changing what a function sees: a client validates and serializes a
request once when it repeats one of its recent requests exactly (an upload function held by
back-pressure repeats the same three calls for days; botocore's serialization depends on the
parameters only, and only the repeat's User-Agent header, which nothing reads, is the first's);
and an answer botocore has parsed is parsed once when the same body comes again (an error, or a
listing page), each call getting its own copy.
"""

import functools
import json
import urllib.parse
from collections import Counter, OrderedDict, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from xml.sax.saxutils import escape

import boto3
from botocore.awsrequest import AWSResponse, HeadersDict
from botocore.endpoint import convert_to_response_dict
from botocore.parsers import ResponseParserFactory
from botocore.retries import standard
from botocore.utils import parse_timestamp
from dateutil.tz import tzutc

from bench.sim import InvocationTimedOut, Simulation

ACCOUNT = "123456789012"
REGION = "us-east-1"
# What botocore's standard retry mode retries (botocore/retries/standard.py), besides any 5xx.
RETRIED_CODES = frozenset(standard.ThrottledRetryableChecker._THROTTLED_ERROR_CODES) | frozenset(
    standard.TransientRetryableChecker._TRANSIENT_ERROR_CODES
)
# How many recent requests (per client) and parsed answers are kept for repeats.
_REPEATS = 1024


def queue_url(name: str) -> str:
    return f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/{name}"


def queue_arn(name: str) -> str:
    return f"arn:aws:sqs:{REGION}:{ACCOUNT}:{name}"


class AwsError(Exception):
    def __init__(self, code: str, message: str, status: int = 400, extra: dict | None = None) -> None:
        super().__init__(message)
        self.code, self.status, self.extra = code, status, extra or {}


@dataclass
class Request:
    """A serialized request, as the service would receive it."""

    operation: str
    """Service and operation, e.g. "DynamoDB.PutItem" (the operation a real endpoint routes to)."""
    method: str
    url: str
    headers: dict
    body: bytes
    query: dict = field(default_factory=dict)
    caller: str = ""
    """Which simulated function sent it (its session's name)."""

    def json(self) -> dict:
        return json.loads(self.body or b"{}")

    @property
    def host(self) -> str:
        return urllib.parse.urlsplit(self.url).netloc

    @property
    def path(self) -> str:
        return urllib.parse.unquote(urllib.parse.urlsplit(self.url).path)


@dataclass
class Raw:
    """A non-JSON answer: status, headers and body as sent."""

    status: int
    headers: dict
    body: bytes = b""


class _Body:
    def __init__(self, data: bytes) -> None:
        self._data = data

    def stream(self, **_):
        yield self._data

    def read(self, amt=None) -> bytes:
        data, self._data = self._data, b""
        return data


def iso_timestamp(value):
    """botocore's timestamp parser, with a short cut for ISO 8601 in UTC ("...T...Z", as S3 lists
    objects) that gives the same datetime (tests/test_scale_simulation.py checks it)."""
    if isinstance(value, str) and value.endswith("Z") and len(value) in (20, 24) and value[10] == "T":
        return datetime.fromisoformat(value[:-1]).replace(tzinfo=tzutc())
    return parse_timestamp(value)


class FakeAws:
    """Routes each call to the handler of its operation (`serve`), counts it, lets its latency
    pass on the virtual clock, and hands botocore the answer."""

    def __init__(self, sim: Simulation, latency: float | Callable[[str], float]) -> None:
        self._sim = sim
        self._latency = latency if callable(latency) else (lambda _operation: latency)
        self._handlers: dict[str, Callable[[Request], dict | Raw]] = {}
        self._parsers = ResponseParserFactory()
        self._parsers.set_parser_defaults(timestamp_parser=iso_timestamp)
        self._parsed_answers: OrderedDict = OrderedDict()
        self.calls: defaultdict[str, Counter[str]] = defaultdict(Counter)
        """Calls by caller (the session's name), then by operation."""

    def serve(self, handlers: dict[str, Callable[[Request], dict | Raw]]) -> None:
        self._handlers.update(handlers)

    def session(self, caller: str = "") -> boto3.Session:
        """A boto3 session whose clients talk to this fake, their calls counted as `caller`'s:
        make it `boto3.DEFAULT_SESSION` while a function module is loaded (its clients come from
        `boto3.client`) and run (some are made on first use)."""
        session = boto3.Session(region_name=REGION)
        session.events.register("before-call", functools.partial(self._before_call, caller=caller))
        session.events.register("creating-client-class", _serialize_repeats_once)
        return session

    def total(self, caller: str | None = None) -> Counter[str]:
        """Calls by operation, of one caller or all."""
        callers = [caller] if caller is not None else list(self.calls)
        return sum((self.calls[c] for c in callers), Counter())

    def _before_call(self, model, params, context, caller: str, **_):
        operation = f"{model.service_model.service_id}.{model.name}"
        request = Request(operation, params["method"], params["url"], params["headers"], params["body"],
                          params["query_string"] or {}, caller)  # fmt: skip
        self.calls[caller][operation] += 1
        handler = self._handlers.get(operation)
        if handler is None:
            raise NotImplementedError(f"the simulation does not answer {operation}")
        self._sim.sleep(self._latency(operation))
        process = self._sim.current
        if process is not None and self._sim.now > process.deadline:
            raise InvocationTimedOut(f"{operation} answered after the invocation's timeout")
        protocol = model.service_model.resolved_protocol
        try:
            answer = handler(request)
            raw = answer if isinstance(answer, Raw) else Raw(200, {}, json.dumps(answer).encode())
        except AwsError as error:
            if _retried(context, error):
                raise RuntimeError(f"{operation}: the simulation answered {error.code}, which botocore would retry") from error
            raw = _error(protocol, request, error)
        return self._parsed(model, protocol, raw)

    def _parsed(self, model, protocol: str, raw: Raw):
        headers = HeadersDict({"x-amzn-RequestId": "sim", **raw.headers})
        http = AWSResponse("https://sim", raw.status, headers, _Body(raw.body))
        # Errors, and listings (which botocore's after-call handler rewrites in place), are copied
        # deep enough; other answers may nest deeper and are parsed anew.
        cacheable = model.name == "ListObjectsV2" or raw.status >= 300
        memo = (model.name, raw.status, raw.body)
        if cacheable and memo in self._parsed_answers:
            self._parsed_answers.move_to_end(memo)
            return http, _copy(self._parsed_answers[memo])
        response = convert_to_response_dict(http, model)
        parser = self._parsers.create_parser(protocol)
        parsed = parser.parse(response, model.output_shape)
        if raw.status >= 300:
            # What botocore's endpoint adds: the error's modeled fields (DynamoDB's Item).
            error_shape = model.service_model.shape_for_error_code(parsed.get("Error", {}).get("Code"))
            if error_shape is not None:
                parsed.update(parser.parse(response, error_shape))
        if cacheable:
            self._parsed_answers[memo] = _copy(parsed)
            if len(self._parsed_answers) > _REPEATS:
                self._parsed_answers.popitem(last=False)
        return http, parsed


class _RepeatedRequests:
    """Mixed into the simulated clients: `_convert_to_request_dict` (validation, serialization)
    once per distinct recent request."""

    def _convert_to_request_dict(self, api_params, operation_model, endpoint_url, context=None, headers=None,
                                 set_user_agent_header=True):  # fmt: skip
        try:
            key = (operation_model.name, endpoint_url, set_user_agent_header, json.dumps([api_params, headers], sort_keys=True))
        except TypeError:  # bytes, datetimes: serialized every time
            return super()._convert_to_request_dict(api_params, operation_model, endpoint_url, context, headers, set_user_agent_header)
        recent = self.__dict__.setdefault("_sim_recent_requests", OrderedDict())
        if key in recent:
            recent.move_to_end(key)
            request = recent[key]
            return {**request, "headers": dict(request["headers"]), "context": context}
        request = super()._convert_to_request_dict(api_params, operation_model, endpoint_url, context, headers, set_user_agent_header)
        recent[key] = {**request, "headers": dict(request["headers"])}
        if len(recent) > _REPEATS:
            recent.popitem(last=False)
        return request


def _serialize_repeats_once(class_attributes, base_classes, **_):
    base_classes.insert(0, _RepeatedRequests)


def _retried(context: dict, error: AwsError) -> bool:
    retries = context["client_config"].retries or {}
    attempts = retries.get("total_max_attempts", retries.get("max_attempts", 2) + 1)
    return attempts > 1 and (error.status >= 500 or error.code in RETRIED_CODES)


def _error(protocol: str, request: Request, error: AwsError) -> Raw:
    if protocol == "rest-xml":
        body = b"" if request.method == "HEAD" else (
            f"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{escape(error.code)}</Code>"
            f"<Message>{escape(str(error))}</Message></Error>"
        ).encode()  # fmt: skip
        return Raw(error.status, {}, body)
    if protocol == "rest-json":
        return Raw(error.status, {"x-amzn-ErrorType": error.code}, json.dumps({"message": str(error)}).encode())
    return Raw(error.status, {}, json.dumps({"__type": error.code, "message": str(error), **error.extra}).encode())


def _copy(parsed: dict) -> dict:
    """A copy of a parsed answer deep enough for botocore's after-call handlers, which rewrite
    the listed keys in place (decode_list_object_v2)."""
    return {
        name: [dict(v) if isinstance(v, dict) else v for v in value] if isinstance(value, list)
        else dict(value) if isinstance(value, dict) else value
        for name, value in parsed.items()
    }  # fmt: skip
