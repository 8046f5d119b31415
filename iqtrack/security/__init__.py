"""Security plumbing shared by every entry point (docs/security.md).

- `events`: the `iqtrack.security` logger and the one way to write to it (`log_event`,
  `log_marking_change`), with the client's address worked out once (`client_ip`);
- `middleware`: the current request for code that has none (signals), and the request-size limit;
- `receivers`: sign-in, sign-out, lockout and marking changes, logged;
- `views`: the pages for a refused CSRF check, a refused permission and a locked-out sign-in.
"""
