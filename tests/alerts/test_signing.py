"""Standard Webhooks signatures, checked against the spec's test vector and the reference library."""

import time

import pytest
from standardwebhooks.webhooks import Webhook

from apps.alerts import signing

VECTOR_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


def test_the_spec_test_vector():
    assert signing.sign(VECTOR_SECRET, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, b'{"test": 2432232314}') == \
        "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_the_reference_library_verifies_our_signature():
    secret = signing.new_secret()
    body = b'{"type":"slo.alert.firing","data":{"summary":"x"}}'
    now = int(time.time())
    headers = {"webhook-id": "msg_1", "webhook-timestamp": str(now),
               "webhook-signature": signing.sign(secret, "msg_1", now, body)}
    assert Webhook(secret).verify(body, headers) == {"type": "slo.alert.firing", "data": {"summary": "x"}}


@pytest.mark.parametrize("secret, message", [
    ("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "starts with whsec_"),
    ("whsec_not base64!", "not base64"),
    ("whsec_c2hvcnQ=", "24–64 bytes, this one 5"),
])
def test_bad_secrets_are_refused(secret, message):
    with pytest.raises(ValueError, match=message):
        signing.secret_key(secret)
