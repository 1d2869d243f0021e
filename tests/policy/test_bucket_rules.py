"""The bucket rules of the pack (s3-buckets-private-and-tls-only, s3-buckets-log-access) on hand-made
resources: each fires on a violating one, with a message naming the resource and what is required,
and stays quiet on a compliant one."""

import pytest
from pulumi_policy.proxy import UnknownValueError

import bucket_rules
import policy_resources as kinds
from hand_made import ACCOUNT, bucket, bucket_policy, guarded, public_access_block, tls_deny, violations
from pack_harness import UNKNOWN, Resource, stack_args


# --- s3-buckets-private-and-tls-only ------------------------------------------------------------

BUCKET_RULE = "s3-buckets-private-and-tls-only"


def test_a_bucket_with_its_public_access_block_and_tls_policy_passes():
    assert violations(BUCKET_RULE, *guarded(bucket())) == []


def test_a_bucket_without_a_public_access_block_is_reported():
    media = bucket()
    (violation,) = violations(BUCKET_RULE, media, bucket_policy(media))
    assert violation.urn == media.urn
    assert "'media-bucket' has no public access block" in violation.message


@pytest.mark.parametrize("setting", bucket_rules.PUBLIC_ACCESS_SETTINGS)
def test_a_public_access_block_with_one_setting_off_is_reported(setting):
    media = bucket()
    block = public_access_block(media, **{setting: False})
    (violation,) = violations(BUCKET_RULE, media, block, bucket_policy(media))
    assert violation.urn == block.urn
    assert f"leaves {setting} off" in violation.message


def test_a_bucket_without_a_bucket_policy_is_reported():
    media = bucket()
    (violation,) = violations(BUCKET_RULE, media, public_access_block(media))
    assert violation.urn == media.urn
    assert "'media-bucket' has no bucket policy that denies requests without TLS" in violation.message


@pytest.mark.parametrize(
    "overrides",
    [
        {"Effect": "Allow"},
        {"Condition": {"Bool": {"aws:SecureTransport": "true"}}},
        {"Condition": {}},
        {"Action": ["s3:GetObject"]},
        {"Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}},
        {"Resource": "arn:aws:s3:::media-bucket-1a2b3c4"},
    ],
    ids=["allow", "when-tls", "no-condition", "one-action", "one-principal", "bucket-not-objects"],
)
def test_a_bucket_policy_that_lets_plain_http_through_is_reported(overrides):
    media = bucket()
    found = violations(BUCKET_RULE, media, public_access_block(media), bucket_policy(media, tls_deny(media, **overrides)))
    assert [v.urn for v in found] == [media.urn]


@pytest.mark.parametrize(
    "overrides",
    [
        {"Action": "*", "Principal": {"AWS": "*"}},
        {"Condition": {"Bool": {"aws:securetransport": False}}},
        {"Condition": {"BoolIfExists": {"aws:SecureTransport": ["false"]}}},
    ],
    ids=["any-action-any-aws-principal", "boolean-false", "bool-if-exists"],
)
def test_other_spellings_of_the_tls_deny_pass(overrides):
    media = bucket()
    statements = [{"Effect": "Allow", "Principal": {"Service": "logging.s3.amazonaws.com"}, "Action": "s3:PutObject"}]
    policy = bucket_policy(media, *statements, tls_deny(media, **overrides))
    assert violations(BUCKET_RULE, media, public_access_block(media), policy) == []


def test_the_guards_of_another_bucket_do_not_count():
    media, transcripts = bucket("media-bucket"), bucket("transcripts-bucket")
    found = violations(BUCKET_RULE, *guarded(media), transcripts)
    assert sorted(v.message.split(";")[0] for v in found) == [
        "S3 bucket 'transcripts-bucket' has no bucket policy that denies requests without TLS",
        "S3 bucket 'transcripts-bucket' has no public access block",
    ]


def test_at_preview_guards_are_matched_by_dependency_and_what_is_unknown_is_left_to_pulumi_up():
    """A new bucket's id and ARN are unknown at preview, so are the guards' `bucket` and the policy
    document; the engine still records which resource each guard's `bucket` came from."""
    resources, blocks = [], {}
    for name in ("media-bucket", "transcripts-bucket"):
        of = bucket(name)
        of.outputs["arn"] = UNKNOWN
        block, policy = public_access_block(of, bucket=UNKNOWN), bucket_policy(of)
        policy.inputs["policy"] = UNKNOWN
        for guard in (block, policy):
            guard.property_dependencies["bucket"] = [of.urn]
        resources += [of, block, policy]
        blocks[name] = block
    blocks["media-bucket"].inputs["restrictPublicBuckets"] = False

    found = []
    with pytest.raises(UnknownValueError) as unknown:
        bucket_rules.check_buckets_private_and_tls_only(stack_args(resources), lambda message, urn=None: found.append(urn))
    # What can be decided is reported; what cannot is named in the preview's advisory note.
    assert found == [blocks["media-bucket"].urn]
    assert "the bucket policy of bucket 'media-bucket'" in unknown.value.message
    assert "the bucket policy of bucket 'transcripts-bucket'" in unknown.value.message


# --- s3-buckets-log-access ----------------------------------------------------------------------

LOGGING_RULE = "s3-buckets-log-access"


def logging(source: Resource, target: Resource) -> Resource:
    inputs = {"bucket": source.outputs["bucket"], "targetBucket": target.outputs["bucket"], "targetPrefix": "media/"}
    return Resource(kinds.BUCKET_LOGGING, f"{source.name}-logging", inputs)


def test_a_bucket_logging_into_an_access_log_bucket_passes():
    media, logs = bucket("media-bucket"), bucket("access-logs-bucket")
    assert violations(LOGGING_RULE, media, logs, logging(media, logs)) == []


def test_a_bucket_without_access_logging_is_reported():
    media, transcripts, logs = bucket("media-bucket"), bucket("transcripts-bucket"), bucket("access-logs-bucket")
    (violation,) = violations(LOGGING_RULE, media, transcripts, logs, logging(media, logs))
    assert violation.urn == transcripts.urn
    assert "S3 bucket 'transcripts-bucket' has no server access logging" in violation.message


def test_at_preview_access_logging_is_matched_by_dependency():
    media, logs = bucket("media-bucket"), bucket("access-logs-bucket")
    link = logging(media, logs)
    link.inputs.update(bucket=UNKNOWN, targetBucket=UNKNOWN)
    link.property_dependencies.update(bucket=[media.urn], targetBucket=[logs.urn])
    assert violations(LOGGING_RULE, media, logs, link) == []
    link.property_dependencies.clear()
    with pytest.raises(UnknownValueError) as unknown:
        bucket_rules.check_buckets_log_access(stack_args([media, logs, link]), lambda message, urn=None: None)
    assert "the access logging of bucket 'media-bucket'" in unknown.value.message
