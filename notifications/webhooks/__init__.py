"""Signed webhooks to partner systems (Standard Webhooks): what partners are told and how it is sent.

`events.py` says which outbox kinds partners hear about and builds the body; `delivery.py` posts one delivery,
signed (`signing.py`), within one deadline; `urls.py` keeps endpoints away from link-local and cloud-metadata
addresses, at registration and again at each send; `retry_after.py` reads the delay an endpoint asks for
when it is overloaded. The rows behind them (fanning an outbox row out into deliveries, claiming and
settling them, stopping an endpoint) are in resolvers/webhooks/; the job that sends them is jobs/webhooks.py.
"""
