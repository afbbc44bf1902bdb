"""Watch mode: the procedure's first 24 hours after a deploy.

Layers (same as the gates: only probes talk to the world):

    config [watch]        nestgate/config/watch.py: schedule, signals, windows, thresholds, actions
    history               history.py: SQLite, append-only; runs, control results, samples, events, meta
    schedule              schedule.py: "5m:2h,15m:22h" -> when each round is due (pure)
    sampler               sampler.py: one sample of every signal (probes -> Sample rows)
    rounds                rounds.py: one controls round (pytest subprocess -> evidence.json -> results)
    triggers              triggers.py: Level 1 / Level 2 conditions over the history (pure)
    actions               actions.py: restart, capture logs, notify (each opt-in)
    loop                  loop.py + cli.py: `nestgate watch`, SIGTERM, restart-safe
    kpi                   kpi.py + kpi_html.py: `nestgate kpi`
    incident              incident.py: `nestgate incident collect`

Signals (Sample.signal, Sample.subject, Sample.value):
    service.up          service   1.0 all desired replicas running (and healthy if it has a check), else 0.0
    memory.percent      service   highest container memory use, % of its limit (no limit: % of host)
    log.errors          service   error lines logged since the previous sample
    auth.failures       service   auth-failure lines logged since the previous sample
    security.alerts     service   alerts the monitor raised since the previous sample (test alerts excluded)
    http.response_s     endpoint  seconds to answer (-1.0: no answer)
    http.ok             endpoint  1.0 answered 2xx, else 0.0

Evidence that cannot be obtained is a failure, never a gap: detail {"error": "<reason>"} with
service.up 0.0, http.ok 0.0 and -1.0 for memory.percent, log.errors, auth.failures, security.alerts
and http.response_s (readers leave -1.0 out of sums and percentiles).
"""
