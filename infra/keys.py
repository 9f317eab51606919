"""Create, list and revoke API keys.

Against the local stack (default: the endpoint `make run` starts):
    python -m infra.keys create --role channel --channel web --name "web store"
    python -m infra.keys list
    python -m infra.keys revoke 1a2b3c4d5e6f
Against AWS: add ``--endpoint aws --table <ApiKeysTableName output> --connections-table <ConnectionsTableName
output>``. A channel key claims its channel in the connections table, in the key's own transaction: a
channel connected to a Shopify or WooCommerce store (PUT /channels/{channel}/connection) gets no key, and
neither does a channel the marketplace feed owns (``shared.domain.channels``).

The key itself is printed once, at creation; only its SHA-256 hash is stored.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any

from infra.spec import API_KEYS, CONNECTIONS
from shared.dal.api_keys import ApiKeyStore, new_key
from shared.domain.auth import check_channel
from shared.domain.channels import ChannelOwned

LOCAL_ENDPOINT = "http://127.0.0.1:4566"


def _store(args: argparse.Namespace) -> ApiKeyStore:
    import boto3

    if args.endpoint == "aws":
        return ApiKeyStore(boto3.client("dynamodb"), args.table, args.connections_table)
    local = {"aws_access_key_id": "local", "aws_secret_access_key": "local", "region_name": "us-east-1"}
    return ApiKeyStore(
        boto3.client("dynamodb", endpoint_url=args.endpoint, **local), args.table, args.connections_table
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.keys", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--endpoint",
        default=os.environ.get("OMS_AWS_ENDPOINT", LOCAL_ENDPOINT),
        help="AWS endpoint URL, or 'aws' for the real AWS",
    )
    parser.add_argument("--table", default=os.environ.get(API_KEYS.env_var, API_KEYS.local_name))
    parser.add_argument(
        "--connections-table",
        default=os.environ.get(CONNECTIONS.env_var, CONNECTIONS.local_name),
        help="where channel keys claim their channel (the ConnectionsTableName output on AWS)",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    create = commands.add_parser("create", help="create a key and print it once")
    create.add_argument("--role", choices=["staff", "channel"], required=True)
    create.add_argument("--channel", help="required for --role channel: the channel its orders belong to")
    create.add_argument("--name", default="", help="who holds it, for your records")
    commands.add_parser("list", help="list keys (never the keys themselves)")
    revoke = commands.add_parser("revoke", help="revoke a key by its key_id")
    revoke.add_argument("key_id")
    args = parser.parse_args(argv)

    if args.command == "create":
        if (args.role == "channel") != bool(args.channel):
            parser.error("--channel is required with --role channel, and only then")
        if args.channel:
            try:
                check_channel(args.channel)
            except ValueError as exc:
                parser.error(str(exc))
        key = new_key()
        try:
            key_id = _store(args).put(key, args.role, args.channel, args.name or args.role)
        except ChannelOwned as exc:  # a connection's channel, or the feed's
            print(f"{exc}: pick another channel", file=sys.stderr)
            return 1
        _print({"key": key, "key_id": key_id, "role": args.role, "channel": args.channel})
        print("Store the key now: it cannot be shown again.", file=sys.stderr)
    elif args.command == "list":
        _print(_store(args).list())
    else:
        deleted = _store(args).revoke(args.key_id)
        if not deleted:
            print(f"no key with key_id {args.key_id}", file=sys.stderr)
            return 1
        print(f"revoked {args.key_id} (API Gateway may honour a cached authorization for up to 60 s)")
    return 0


def _print(value: Any) -> None:
    print(json.dumps(value, indent=2, default=str))


if __name__ == "__main__":
    sys.exit(main())
