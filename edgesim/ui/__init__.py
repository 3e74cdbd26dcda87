"""The live dashboard (``edgesim run APP --ui``): a local web page fed by server-sent events.

  server.py    the HTTP/SSE/WebSocket server (standard library only), bounded per client
  security.py  loopback by default, Host/Origin checks, a token off loopback, rate limits
  websocket.py the RFC 6455 subset the server needs
  preview.py   UiDisplay: events as --json prints them, plus what the model saw
  compare.py   CompareTarget: host and another target on the same input (--compare)
  static/      the page: plain HTML, JavaScript and canvas drawing, no CDN
"""
