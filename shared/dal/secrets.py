"""KMS: webhook secrets sealed for one channel. The encryption context binds each ciphertext to its
channel: a secret copied onto another channel's item does not decrypt there."""

from __future__ import annotations

from typing import Any


class SecretCipher:
    def __init__(self, client: Any, key_id: str) -> None:
        self._kms = client
        self._key_id = key_id  # an alias (alias/oms-secrets) or a key ARN

    def encrypt(self, secret: str, channel: str) -> bytes:
        response = self._kms.encrypt(
            KeyId=self._key_id, Plaintext=secret.encode("utf-8"), EncryptionContext={"channel": channel}
        )
        return bytes(response["CiphertextBlob"])

    def decrypt(self, ciphertext: bytes, channel: str) -> str:
        response = self._kms.decrypt(
            KeyId=self._key_id, CiphertextBlob=ciphertext, EncryptionContext={"channel": channel}
        )
        return bytes(response["Plaintext"]).decode("utf-8")
