"""The one compiled module: warehouse/_spanrows.c (OTLP trace envelopes → span rows, a Native block). Everything
else is declared in pyproject.toml."""

from setuptools import Extension, setup

setup(ext_modules=[Extension("warehouse._spanrows", ["warehouse/_spanrows.c"], extra_compile_args=["-O2"])])
