import argparse
import subprocess
from pathlib import Path

import boto3

from pipeline.common.log import get_logger

log = get_logger("ingest")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--bucket", required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    s3 = boto3.client("s3")
    for obj in s3.list_objects_v2(Bucket=args.bucket).get("Contents", []):
        src = Path("/tmp") / Path(obj["Key"]).name
        s3.download_file(args.bucket, obj["Key"], str(src))
        dst = args.out / (src.stem + ".wav")
        subprocess.run(["ffmpeg", "-y", "-i", src, "-ac", "1", "-ar", "16000", dst], check=True)
        log.info("converted", key=obj["Key"])


main()
