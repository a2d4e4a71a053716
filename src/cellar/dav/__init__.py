"""WebDAV pieces shared by the cell root and (later) box resources: XML, PROPFIND, PROPPATCH."""
