from setuptools import Extension, setup

setup(
    name="fastloss",
    ext_modules=[Extension("fastloss", sources=["fastloss.c"], extra_compile_args=["-O3"])],
)
