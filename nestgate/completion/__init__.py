"""The procedure's Deployment Completion Checklist ("Final Validation") and its role sign-off.

evidence.py reads what exists (verified bundles, deploy records, the watch history, the config);
boxes.py judges the twelve boxes from it (pure); page.py renders the record; command.py is
`nestgate complete`; signoff.py is `nestgate signoff` and the check `nestgate deploy` runs.
"""
