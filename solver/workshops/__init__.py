"""Workshop scheduling (spec/solver-v1.md section 2): every placement group to one prep session
before its visit week and one follow-up session after it.

Entry points: :func:`solver.workshops.api.solve_workshops_json` (JSON in/out, used by
``python -m solver workshops``), :func:`solver.workshops.solve.solve_workshops` (dataclasses),
:func:`solver.workshops.check.check_workshops_json` (independent checker) and
:func:`solver.workshops.propose.propose_sessions` (venues and dates when none are fixed yet;
also ``python -m solver.workshops.propose REQUEST.json -o INSTANCE.json``).

Settings (``settings`` object of ``internship-workshops/1``; any other key is an input error):

``min_days_before`` (int >= 0, default 7)
    a prep session's date is at least this many days before the Monday of the group's week.
``min_days_after`` (int >= 0, default 7)
    a follow-up session's date is at least this many days after the Sunday of the group's week.
``time_limit_s`` (number > 0, default 30)
    wall-clock limit of the solve; the CLI's ``--time-limit`` overrides it.
``workers`` (int 1-64, default 2) and ``seed`` (int >= 0, default 0)
    CP-SAT workers and random seed; the CLI's ``--workers`` overrides ``workers``.
``max_km`` (number > 0 or null, default null = no limit)
    hard limit on each person's great-circle distance to each of their sessions; a person's own
    ``max_km`` field overrides it.
``min_fill`` (int >= 0, default 0)
    a session runs with at least this many people or is cancelled (then nobody attends it and
    the result lists it under ``cancelled``); a session's own ``min_fill`` field overrides it.
``keep`` (bool, default false)
    re-schedule after a late change while moving as few groups as possible: with the top-level
    ``previous`` list (``[{"group", "prep", "followup"}, ...]``, e.g. the last result's
    ``schedule``), a level "kept" (groups whose prep AND follow-up are unchanged, maximised)
    comes right after "scheduled" and before travel; ``objective`` and ``bound`` then carry
    ``kept``. Previous entries whose group or sessions no longer exist cannot be kept and are
    otherwise ignored.

Result additions to the spec: ``cancelled`` (sessions with ``min_fill`` > 0 left empty) and
``stats.groups``/``sessions``/``arcs``. ``load`` lists every session, 0 when empty.
"""
