"""Cell control objects (``{CellURL}__ctl/``): definitions as data, behaviour as hooks."""
