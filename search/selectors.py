def index_backlog() -> int:
    """Published records not yet searchable.

    Nothing is published or indexed before the disclosures and search issues land, so the
    backlog is empty by construction; this becomes a count over publications then.
    """
    return 0
