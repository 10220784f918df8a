"""``plateau provision`` and ``plateau secrets``: the Ansible side of plateau.

vars.py     plan (``plateau.plan/1``) -> per-host variables for playbooks/site.yml
runner.py   typed adapter around ansible_runner (run, task count, secrets out of the artifacts)
events.py   ansible-runner events -> per-host results (« en cours » until each host's own end)
failures.py what a failed task says, redacted (title, candidates, tool's words, known causes)
view.py     Rich live view, summary table, retry command
cli.py      Typer functions registered by provision/cli.py
"""
