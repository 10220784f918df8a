"""``plateau provision`` and ``plateau secrets``: the Ansible side of plateau.

vars.py     plan (``plateau.plan/1``) -> per-host variables for playbooks/site.yml
runner.py   typed adapter around ansible_runner (events -> per-host results)
view.py     Rich live view, summary table, retry command
cli.py      Typer functions registered by provision/cli.py
"""
