"""Create, list and revoke API keys.

Against the local stack (default: the endpoint `make run` starts):
    python -m infra.keys create --role admin --name alice
    python -m infra.keys create --role channel --channel web --name "web store"
    python -m infra.keys list
    python -m infra.keys revoke 1a2b3c4d5e6f
Against AWS: add ``--endpoint aws --table <ApiKeysTableName output> --connections-table <ConnectionsTableName
output>`` (and ``--stack`` if the stack is not named OmsStack). A channel key claims its channel in the
connections table, in the key's own transaction: a channel connected to a Shopify or WooCommerce store
(PUT /channels/{channel}/connection) gets no key, and neither does a channel the marketplace feed
owns (``shared.domain.channels``).

In AWS the channel's first key also makes the channel's API Gateway API key, on the channel's usage plan
(``infra/spec.py``; the plans' ids are the stack's ``{plan}UsagePlanId`` outputs, read with CloudFormation
DescribeStacks): the authorizer names it so that API Gateway applies the channel's limits. The channel's
other keys share it; revoking the channel's last key removes it. People's keys (admin, staff, viewer)
share the "staff" one: make the first admin key of a stack here, and the admin makes the others in the
console (POST /keys), which reuse it. The local stack has no API Gateway: its gateway applies the same
limits itself.

A person's key is named for the person (``--name alice``: ``staff:alice`` in the audit trail; one live key
per name). The key itself is printed once, at creation; only its SHA-256 hash is stored. Revoking a key
ends its console sessions at once.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from collections.abc import Callable, Mapping
from functools import cache
from typing import Any

from infra.spec import API_KEYS, CONNECTIONS, usage_plan
from infra.stack_outputs import STACK_NAME, stack_outputs
from shared.dal.api_keys import ApiKeyStore, UsageKey, new_key
from shared.domain.auth import PERSON_ROLES, ROLES, STAFF_CHANNEL, check_channel, check_person_name
from shared.domain.channels import ChannelOwned

LOCAL_ENDPOINT = "http://127.0.0.1:4566"


class ApiGatewayKeys:
    """``UsageKeys`` in AWS: API Gateway API keys on the stack's usage plans. ``plan_ids`` maps each plan's
    output name (``UsagePlan.output``) to its id; it is read only when a key is made."""

    def __init__(self, apigateway: Any, plan_ids: Callable[[], Mapping[str, str]]) -> None:
        self._apigateway = apigateway
        self._plan_ids = plan_ids

    def create(self, channel: str | None) -> UsageKey:
        plan = usage_plan(channel)
        plan_id = self._plan_ids().get(plan.output)
        if plan_id is None:
            raise ValueError(f"the stack has no output {plan.output}: deploy the stack first")
        name = channel or STAFF_CHANNEL
        created = self._apigateway.create_api_key(
            name=f"oms-{name}", description=f"OMS: the {name} channel's limits ({plan.id} plan)", enabled=True
        )
        try:
            self._apigateway.create_usage_plan_key(
                usagePlanId=plan_id, keyId=created["id"], keyType="API_KEY"
            )
        except Exception:
            self.delete(created["id"])
            raise
        return UsageKey(id=created["id"], value=created["value"])

    def delete(self, usage_key_id: str) -> None:
        with contextlib.suppress(self._apigateway.exceptions.NotFoundException):  # already gone
            self._apigateway.delete_api_key(apiKey=usage_key_id)


def _store(args: argparse.Namespace) -> ApiKeyStore:
    import boto3

    if args.endpoint == "aws":
        outputs = cache(lambda: stack_outputs(boto3.client("cloudformation"), args.stack or STACK_NAME))
        usage_keys = ApiGatewayKeys(boto3.client("apigateway"), outputs)
        return ApiKeyStore(boto3.client("dynamodb"), args.table, args.connections_table, usage_keys)
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
    parser.add_argument(
        "--stack", help="with --endpoint aws: the stack whose usage plans the keys go on (default OmsStack)"
    )
    commands = parser.add_subparsers(dest="command", required=True)
    create = commands.add_parser("create", help="create a key and print it once")
    create.add_argument("--role", choices=ROLES, required=True)
    create.add_argument("--channel", help="required for --role channel: the channel its orders belong to")
    create.add_argument(
        "--name",
        default="",
        help="a person's key (admin, staff, viewer): their name in the audit trail, required; a channel's "
        "key: who holds it, for your records",
    )
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
        if args.role in PERSON_ROLES:
            try:
                check_person_name(args.name)
            except ValueError as exc:
                parser.error(f"--name: {exc}")
        try:
            key, key_id = _create(_store(args), args)
        except ChannelOwned as exc:  # a connection's channel, or the feed's
            print(f"{exc}: pick another channel", file=sys.stderr)
            return 1
        except (
            ValueError
        ) as exc:  # the stack has no usage plans (not deployed, another --stack), a name taken
            print(str(exc), file=sys.stderr)
            return 1
        _print({"key": key, "key_id": key_id, "role": args.role, "channel": args.channel, "name": args.name})
        print("Store the key now: it cannot be shown again.", file=sys.stderr)
    elif args.command == "list":
        _print(_store(args).list())
    else:
        try:
            deleted = _store(args).revoke(args.key_id)
        except ValueError as exc:  # an API Gateway key to remove, and no API Gateway here
            print(str(exc), file=sys.stderr)
            return 1
        if not deleted:
            print(f"no key with key_id {args.key_id}", file=sys.stderr)
            return 1
        print(f"revoked {args.key_id} and ended its sessions")
    return 0


def _create(store: ApiKeyStore, args: argparse.Namespace) -> tuple[str, str]:
    """A new key and its key_id. A person's is made as the console makes it (one live key per name); the
    first one in AWS also makes the staff channel's API Gateway key."""
    if args.role in PERSON_ROLES:
        from shared.services.keys import CreatedKey, KeyService, NameTaken

        made = KeyService(store, usage_keys_required=False).create(args.name, args.role)
        if isinstance(made, NameTaken):
            raise ValueError(f"a live key is named {made.name}: each person has their own name")
        if not isinstance(made, CreatedKey):  # pragma: no cover - no usage key is required here
            raise ValueError("no staff API Gateway key")
        return made.api_key, made.key_id
    key = new_key()
    return key, store.put(key, args.role, args.channel, args.name or args.role)


def _print(value: Any) -> None:
    print(json.dumps(value, indent=2, default=str))


if __name__ == "__main__":
    sys.exit(main())
