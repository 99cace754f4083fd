"""Signed webhooks to partner systems (Standard Webhooks).

The outbox job fans each outbox row out into webhook deliveries (`fanout.py`, in the claim's transaction);
`delivery.py` sends them, signed (`signing.py`), and logs every try. `urls.py` keeps endpoints away from
link-local and cloud-metadata addresses, at registration and again at each send. `endpoints.py` stops an
endpoint (an administrator's decision, or its server answering 410 Gone); `retry_after.py` reads the delay
an endpoint asks for when it is overloaded.
"""
