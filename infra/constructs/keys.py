"""KMS keys for application data: one per ``spec.KEYS`` entry (kept when the stack goes, reached by its
alias in the stage: ``spec.stage_name``). ``grant`` gives a role exactly one action on that key:
``kms:Encrypt`` or ``kms:Decrypt``, only for requests that carry the spec's encryption context key (a
secret sealed for a channel); on an HMAC key ``kms:GenerateMac`` or ``kms:VerifyMac`` (a MAC has no
encryption context)."""

from __future__ import annotations

from aws_cdk import RemovalPolicy
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct

from infra import spec
from infra.description import MAC_ACCESS, Key, UsesKey

KEY_ACTIONS = {
    "encrypt": "kms:Encrypt",
    "decrypt": "kms:Decrypt",
    "generate_mac": "kms:GenerateMac",
    "verify_mac": "kms:VerifyMac",
}


def _key(scope: Construct, key: Key, stage: str) -> kms.Key:
    if key.is_hmac:
        # An HMAC key makes and verifies MACs only. No rotation: KMS does not rotate HMAC keys (automatic
        # rotation is for symmetric encryption keys only; CloudFormation refuses EnableKeyRotation on one).
        # A new key would invalidate every link made with the old one: replace it only on purpose.
        return kms.Key(
            scope,
            f"{key.id}Key",
            alias=spec.stage_name(key.alias, stage),
            description=key.description,
            key_spec=kms.KeySpec.HMAC_256,
            key_usage=kms.KeyUsage.GENERATE_VERIFY_MAC,
            enable_key_rotation=False,
            # Retained: deleting it would break every link (or MAC) made with it.
            removal_policy=RemovalPolicy.RETAIN,
        )
    return kms.Key(
        scope,
        f"{key.id}Key",
        alias=spec.stage_name(key.alias, stage),
        description=key.description,
        enable_key_rotation=True,
        # Retained: deleting it would make every sealed secret unreadable.
        removal_policy=RemovalPolicy.RETAIN,
    )


class Keys(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, stage: str = spec.PROD_STAGE) -> None:
        super().__init__(scope, construct_id)
        self.by_id: dict[str, kms.Key] = {key.id: _key(self, key, stage) for key in spec.KEYS}

    def key(self, key: Key) -> kms.Key:
        return self.by_id[key.id]

    def grant(self, use: UsesKey, role: iam.IRole) -> None:
        if use.access in MAC_ACCESS:
            role.add_to_principal_policy(
                iam.PolicyStatement(actions=[KEY_ACTIONS[use.access]], resources=[self.key(use.key).key_arn])
            )
            return
        role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=[KEY_ACTIONS[use.access]],
                resources=[self.key(use.key).key_arn],
                # Only with the context the data is bound to (e.g. {"channel": ...}).
                conditions={"Null": {f"kms:EncryptionContext:{use.context_key}": "false"}},
            )
        )
