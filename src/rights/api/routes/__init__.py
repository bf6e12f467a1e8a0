"""HTTP routes, one module per resource; each handler declares its permission."""
