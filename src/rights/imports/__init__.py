"""Open-data register imports: KBO (kbo.py), the Flemish organisation register (register.py) and the
education institutions list (schools.py); a synthetic KBO dump generator (generate.py). See docs/imports.md.
"""
