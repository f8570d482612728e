"""Helpers shared by the tests: the Slack Web API fake, signed-request harness, record builders,
and AWS permission checking. Test modules import from here, never from each other."""
