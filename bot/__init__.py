"""WeChat transport: webhook, message conversion, API client, menu, OAuth, local simulator."""
