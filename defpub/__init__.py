"""DefPub: defensive publications with verifiable dates and prior-art search."""
