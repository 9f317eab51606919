"""KMS: webhook secrets sealed for one channel (or one webhook endpoint: ``context_key="webhook"``). The
encryption context binds each ciphertext to its owner: a secret copied onto another's item does not decrypt
there."""

from __future__ import annotations

from typing import Any


class SecretCipher:
    def __init__(self, client: Any, key_id: str, context_key: str = "channel") -> None:
        self._kms = client
        self._key_id = key_id  # an alias (alias/oms-secrets) or a key ARN
        self._context_key = context_key  # infra/spec.py's UsesKey.context_key: what IAM requires

    def encrypt(self, secret: str, channel: str) -> bytes:
        response = self._kms.encrypt(
            KeyId=self._key_id,
            Plaintext=secret.encode("utf-8"),
            EncryptionContext={self._context_key: channel},
        )
        return bytes(response["CiphertextBlob"])

    def decrypt(self, ciphertext: bytes, channel: str) -> str:
        response = self._kms.decrypt(
            KeyId=self._key_id, CiphertextBlob=ciphertext, EncryptionContext={self._context_key: channel}
        )
        return bytes(response["Plaintext"]).decode("utf-8")
