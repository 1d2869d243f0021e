"""`fetch`: download the transcript of a media key, in one of its formats."""

from mediactl import checks, stack, transcripts
from mediactl.aws import Clients
from mediactl.stack import Target


def run(args) -> int:
    if args.unredacted and args.format is not None:
        raise checks.does_nothing("--format", "--unredacted fetches the unredacted JSON transcript", given="--unredacted")
    out_dir = checks.out_dir("--out", args.out)
    if args.bucket:
        target = Target(output_bucket=checks.bucket_name("--bucket", args.bucket))
    else:
        target = stack.target_of(args, ("outputBucket", "outputPrefix"), "or name the transcripts bucket with --bucket NAME")
    clients = Clients(target.region)
    if args.unredacted:
        path, source = transcripts.fetch_unredacted(clients.s3, target, args.media_key, out_dir)
    else:
        path, source = transcripts.fetch(clients.s3, target, args.media_key, args.format or "json", out_dir)
    print(f"saved {path} (from {source})")
    return 0


def add_parser(commands) -> None:
    fetch = commands.add_parser(
        "fetch",
        help="download the transcript of a media key",
        description="Download the transcript of MEDIA_KEY (the key of the media in the input bucket, e.g. team/talk.mp3)"
        " from <output prefix><MEDIA_KEY>.<format> in the output bucket. txt is made from the JSON transcript"
        " when the bucket has none. When no transcript could be made, tells why (from the .error.json note).",
    )
    fetch.add_argument("media_key", metavar="MEDIA_KEY", help="S3 key of the uploaded media, e.g. talk.mp3")
    where = stack.add_stack_options(fetch)
    where.add_argument("--bucket", metavar="NAME", help="fetch from this transcripts bucket (output prefix 'transcripts/')")
    fetch.add_argument("--format", choices=transcripts.FORMATS, help="which file (default: json)")
    fetch.add_argument("--out", default=".", metavar="DIR", help="where to save it (default: .)")
    fetch.add_argument(
        "--unredacted", action="store_true",
        help="the unredacted JSON transcript, kept with redactPii 'redacted_and_unredacted' (if you may read it)",
    )
    fetch.set_defaults(run=run)
