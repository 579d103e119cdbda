"""What the gateway and its workers tell operators: metrics, traces and the request in
progress (which archive a call belongs to).

Below services and adapters, above the domain: every layer may report, none depends on how.
"""
