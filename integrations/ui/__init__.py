"""Web UI for BigCommerce authentications (list, create, rotate token, verify, delete)."""
