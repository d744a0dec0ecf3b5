"""`dockopt verify`: a policy's requirements checked against a repository, with evidence and scores.

    policy.py              the TOML policy (and default_policy.toml, the built-in one): requirements, check kinds
    facts.py               what is read once: image graph, rule findings, models, the results file
    checks.py              check kind -> function, and the rules each needs run
      outcome.py           what a check returns; evidence from findings, actions per rule
      sites.py             package-manager commands and final-stage instructions of every Dockerfile
      kinds_dockerfile.py  cache mounts, layer order, requirement files, system packages, non-root, HEALTHCHECK
      kinds_repository.py  digests, hierarchy, heavy packages, versions file, build order, .dockerignore
      kinds_measured.py    size, wasted bytes, rebuild and build time limits from a results file
    score.py               requirement, category and overall scores; gaps by weight x gap
    report.py              the report model every format renders (dockopt.report.verify_markdown, verify_json,
                           verify_html)
    evaluate.py            policy + repository (+ results) -> VerifyReport
"""
