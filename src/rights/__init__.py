"""rights: who may act for which organisation, with which right, on which measure."""

__version__ = "0.1.0"
