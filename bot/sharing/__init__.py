"""Sharing Routewijzer beyond the chat: deep links and QR codes, the printed Meterkastkaart,
and the services as open data (HSDS, CSV)."""
