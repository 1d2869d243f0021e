"""DynamoDB's expressions, as far as the ledger uses them: condition expressions, update
expressions and key conditions, parsed (once per text) and evaluated on items in DynamoDB's JSON
form ({"S": "..."} / {"N": "..."}).

It knows (Amazon DynamoDB Developer Guide, "Condition and filter expressions" and "Update
expressions"): comparisons (= <> < <= > >=), IN, BETWEEN, AND, OR, NOT, parentheses,
attribute_exists and attribute_not_exists; SET with a value, `a + b`, `a - b` and
if_not_exists(path, value); REMOVE; ADD of a number. Paths are top-level attribute names or
#placeholders. Anything else (nested paths, sets, DELETE, list_append, size, begins_with...)
raises NotImplementedError rather than being guessed. As DynamoDB does, it refuses a reserved word used
as a bare name, a placeholder that is not defined, and one defined but never used.
"""

import functools
import re
from dataclasses import dataclass
from decimal import Decimal

from moto.dynamodb.parsing.reserved_keywords import ReservedKeywords

RESERVED = frozenset(ReservedKeywords.get_reserved_keywords())  # DynamoDB's list, as moto ships it
_TOKEN = re.compile(r"\s*(?:(<>|<=|>=|[=<>(),+\-])|([#:]?[A-Za-z_][A-Za-z0-9_]*)|(\S))")
_COMPARATORS = {"=", "<>", "<", "<=", ">", ">="}


class ExpressionError(ValueError):
    """What DynamoDB answers with a ValidationException."""


@dataclass(frozen=True)
class Parsed:
    """An expression parsed once: its tree, and the placeholders it uses."""

    tree: object
    names: frozenset
    values: frozenset


class Placeholders:
    """ExpressionAttributeNames and ExpressionAttributeValues of one request, and which of them
    its expressions used."""

    def __init__(self, names: dict | None = None, values: dict | None = None) -> None:
        self.names, self.values = names or {}, values or {}
        self.used: set = set()

    def use(self, parsed: Parsed) -> None:
        for name in parsed.names - set(self.names):
            raise ExpressionError(f"An expression attribute name used in the document path is not defined; attribute name: {name}")
        for value in parsed.values - set(self.values):
            raise ExpressionError(f"An expression attribute value used in expression is not defined; attribute value: {value}")
        self.used |= parsed.names | parsed.values

    def check_all_used(self) -> None:
        for kind, defined in (("ExpressionAttributeNames", self.names), ("ExpressionAttributeValues", self.values)):
            if unused := sorted(set(defined) - self.used):
                raise ExpressionError(f"Value provided in {kind} unused in expressions: keys: {{{', '.join(unused)}}}")

    def attribute(self, path: str) -> str:
        return self.names[path] if path[0] == "#" else path


class _Parser:
    def __init__(self, text: str) -> None:
        self.text, self.items, self.at = text, [], 0
        self.names, self.values = set(), set()
        for symbol, word, other in _TOKEN.findall(text):
            if other:
                raise NotImplementedError(f"the simulated DynamoDB does not parse {other!r} in {text!r}")
            self.items.append(symbol or word)

    def parsed(self, tree) -> Parsed:
        if self.at < len(self.items):
            raise ExpressionError(f"Invalid expression {self.text!r}: unexpected {self.items[self.at]!r}")
        return Parsed(tree, frozenset(self.names), frozenset(self.values))

    def peek(self, ahead: int = 0) -> str:
        return self.items[self.at + ahead] if self.at + ahead < len(self.items) else ""

    def keyword(self, word: str) -> bool:
        if self.peek().upper() == word:
            self.at += 1
            return True
        return False

    def take(self, expected: str | None = None) -> str:
        token = self.peek()
        if not token or (expected is not None and token != expected):
            raise ExpressionError(f"Invalid expression {self.text!r}: expected {expected or 'more'} at {token or 'the end'!r}")
        self.at += 1
        return token

    def path(self) -> str:
        token = self.take()
        if not (token[0].isalpha() or token[0] in "#_"):
            raise ExpressionError(f"Invalid expression {self.text!r}: {token!r} is not an attribute name")
        if self.peek() in (".", "["):
            raise NotImplementedError(f"the simulated DynamoDB does not follow nested paths in {self.text!r}")
        if token[0] == "#":
            self.names.add(token)
        elif token.upper() in RESERVED:
            raise ExpressionError(f"Attribute name is a reserved keyword; reserved keyword: {token}")
        return token

    def operand(self) -> tuple:
        if self.peek().startswith(":"):
            self.values.add(self.peek())
            return ("value", self.take())
        if self.peek(1) == "(":
            raise NotImplementedError(f"the simulated DynamoDB does not evaluate {self.peek()}() in {self.text!r}")
        return ("path", self.path())

    # condition := or; or := and (OR and)*; and := not (AND not)*; not := NOT not | primary
    def condition(self) -> tuple:
        tree = self.conjunction()
        while self.keyword("OR"):
            tree = ("or", tree, self.conjunction())
        return tree

    def conjunction(self) -> tuple:
        tree = self.negation()
        while self.keyword("AND"):
            tree = ("and", tree, self.negation())
        return tree

    def negation(self) -> tuple:
        if self.keyword("NOT"):
            return ("not", self.negation())
        if self.peek() == "(":
            self.take("(")
            tree = self.condition()
            self.take(")")
            return tree
        if self.peek() in ("attribute_exists", "attribute_not_exists"):
            function = self.take()
            self.take("(")
            path = self.path()
            self.take(")")
            return (function, path)
        left = self.operand()
        if self.keyword("IN"):
            self.take("(")
            options = [self.operand()]
            while self.peek() == ",":
                self.take(",")
                options.append(self.operand())
            self.take(")")
            return ("in", left, tuple(options))
        if self.keyword("BETWEEN"):
            low = self.operand()
            if not self.keyword("AND"):
                raise ExpressionError(f"Invalid expression {self.text!r}: BETWEEN needs AND")
            return ("between", left, low, self.operand())
        op = self.take()
        if op not in _COMPARATORS:
            raise NotImplementedError(f"the simulated DynamoDB does not evaluate {op!r} in {self.text!r}")
        return ("compare", op, left, self.operand())

    def set_value(self) -> tuple:
        left = self.set_operand()
        if self.peek() in ("+", "-"):
            return ("arithmetic", self.take(), left, self.set_operand())
        return left

    def set_operand(self) -> tuple:
        if self.peek() == "if_not_exists":
            self.take()
            self.take("(")
            path = self.path()
            self.take(",")
            default = self.set_operand()
            self.take(")")
            return ("if_not_exists", path, default)
        return self.operand()


# --- values -------------------------------------------------------------------------------------


def _typed(attribute: dict | None):
    """(type, comparable value) of an attribute value; None when absent."""
    if attribute is None:
        return None
    (kind, raw), = attribute.items()
    if kind == "N":
        return "N", Decimal(raw)
    if kind == "S":
        return "S", raw
    raise NotImplementedError(f"the simulated DynamoDB compares S and N only, not {kind}")


def _compare(left: dict | None, op: str, right: dict | None) -> bool:
    a, b = _typed(left), _typed(right)
    if a is None or b is None or a[0] != b[0]:
        return op == "<>" and not (a is None and b is None)
    x, y = a[1], b[1]
    return {"=": x == y, "<>": x != y, "<": x < y, "<=": x <= y, ">": x > y, ">=": x >= y}[op]


def number(value: Decimal) -> dict:
    return {"N": str(int(value)) if value == value.to_integral() else format(value.normalize(), "f")}


def _value(node: tuple, item: dict, p: Placeholders) -> dict | None:
    kind = node[0]
    if kind == "value":
        return p.values[node[1]]
    if kind == "path":
        return item.get(p.attribute(node[1]))
    if kind == "if_not_exists":
        found = item.get(p.attribute(node[1]))
        return found if found is not None else _value(node[2], item, p)
    a, b = _typed(_value(node[2], item, p)), _typed(_value(node[3], item, p))  # arithmetic
    if a is None or b is None or a[0] != "N" or b[0] != "N":
        raise ExpressionError("An operand in the update expression has an incorrect data type")
    return number(a[1] + b[1] if node[1] == "+" else a[1] - b[1])


def _add(current: dict | None, value: dict) -> dict:
    """ADD: a number added to the attribute, or the attribute set to it when absent (sets are
    not modelled)."""
    if "N" not in value or (current is not None and "N" not in current):
        raise NotImplementedError("the simulated DynamoDB ADDs numbers only")
    return number(Decimal(value["N"]) + (Decimal(current["N"]) if current is not None else 0))


def _holds(node: tuple, item: dict, p: Placeholders) -> bool:
    kind = node[0]
    if kind == "and":
        return _holds(node[1], item, p) and _holds(node[2], item, p)
    if kind == "or":
        return _holds(node[1], item, p) or _holds(node[2], item, p)
    if kind == "not":
        return not _holds(node[1], item, p)
    if kind in ("attribute_exists", "attribute_not_exists"):
        return (p.attribute(node[1]) in item) == (kind == "attribute_exists")
    if kind == "in":
        left = _value(node[1], item, p)
        return any(_compare(left, "=", _value(option, item, p)) for option in node[2])
    if kind == "between":
        left = _value(node[1], item, p)
        return _compare(left, ">=", _value(node[2], item, p)) and _compare(left, "<=", _value(node[3], item, p))
    return _compare(_value(node[2], item, p), node[1], _value(node[3], item, p))


# --- the three kinds of expression ----------------------------------------------------------------


@functools.lru_cache(maxsize=512)
def _parse_condition(text: str) -> Parsed:
    parser = _Parser(text)
    return parser.parsed(parser.condition())


@functools.lru_cache(maxsize=512)
def _parse_update(text: str) -> Parsed:
    parser, actions = _Parser(text), []
    while parser.peek():
        clause = parser.take().upper()
        if clause not in ("SET", "REMOVE", "ADD"):
            raise NotImplementedError(f"the simulated DynamoDB does not apply {clause} in {text!r}")
        while True:
            path = parser.path()
            if clause == "SET":
                parser.take("=")
                actions.append(("set", path, parser.set_value()))
            elif clause == "ADD":
                value = parser.operand()
                if value[0] != "value":
                    raise ExpressionError(f"Invalid UpdateExpression {text!r}: ADD takes a value")
                actions.append(("add", path, value))
            else:
                actions.append(("remove", path, None))
            if parser.peek() != ",":
                break
            parser.take(",")
    if not actions:
        raise ExpressionError("Invalid UpdateExpression: The expression can not be empty")
    return parser.parsed(tuple(actions))


def condition(text: str, item: dict, placeholders: Placeholders) -> bool:
    """Whether `item` (the item as it is, {} when there is none) meets the condition."""
    parsed = _parse_condition(text)
    placeholders.use(parsed)
    return _holds(parsed.tree, item, placeholders)


def update(text: str, item: dict, placeholders: Placeholders) -> tuple[dict, set[str]]:
    """The item after the update expression (every operand read from the item before it), and
    the attribute names it sets or removes."""
    parsed = _parse_update(text)
    placeholders.use(parsed)
    new, touched = dict(item), set()
    for action, path, value in parsed.tree:
        name = placeholders.attribute(path)
        touched.add(name)
        if action == "remove":
            new.pop(name, None)
            continue
        if action == "add":
            new[name] = _add(item.get(name), _value(value, item, placeholders))
            continue
        result = _value(value, item, placeholders)
        if result is None:
            raise ExpressionError("The provided expression refers to an attribute that does not exist in the item")
        new[name] = result
    return new, touched


@dataclass(frozen=True)
class KeyCondition:
    hash_name: str
    hash_value: dict
    range_name: str
    range_test: tuple | None
    """The condition's test of the range key (a comparison or BETWEEN), None without one."""
    placeholders: Placeholders

    @property
    def ends_early(self) -> bool:
        """True when, in range order, the first item past the test ends the matches."""
        return self.range_test is not None and self.range_test[:2] in (("compare", "<"), ("compare", "<="))

    def matches(self, value: dict | None) -> bool:
        return self.range_test is None or _holds(self.range_test, {self.range_name: value} if value else {}, self.placeholders)


def key_condition(text: str, placeholders: Placeholders) -> KeyCondition:
    """`hash = :v`, optionally `AND range <op> :v` or `AND range BETWEEN :a AND :b`: parsed as a
    condition, then held to that shape."""
    parsed = _parse_condition(text)
    placeholders.use(parsed)
    tree = parsed.tree
    hash_test, range_test = (tree[1], tree[2]) if tree[0] == "and" else (tree, None)
    if range_test is None:
        range_path, operands = None, ()
    elif range_test[0] == "between":
        range_path, operands = range_test[1], range_test[2:]
    elif range_test[0] == "compare" and range_test[1] != "<>":
        range_path, operands = range_test[2], range_test[3:]
    else:
        raise ExpressionError(f"Invalid KeyConditionExpression {text!r}: the range key takes = < <= > >= or BETWEEN")
    paths, values = (hash_test[2], range_path or ("path", "")), (hash_test[3], *operands)
    if hash_test[:2] != ("compare", "=") or any(p[0] != "path" for p in paths) or any(v[0] != "value" for v in values):
        raise ExpressionError(f"Invalid KeyConditionExpression {text!r}: `hash = :value`, then the range key against values")
    return KeyCondition(placeholders.attribute(hash_test[2][1]), placeholders.values[hash_test[3][1]],
                        placeholders.attribute(range_path[1]) if range_path else "", range_test, placeholders)  # fmt: skip
