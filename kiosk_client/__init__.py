"""The office kiosk: checks citizens in, issues walk-in tickets, prints them, and keeps working offline.

It talks to Turnero only through the GraphQL API with its KIOSK device token (kiosk_client.api)."""
