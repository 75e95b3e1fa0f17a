"""One module per process of MODEL.md section 3: pure, vectorized functions.

Submodels take arrays and numbers and return new arrays; they never import
Mesa, never mutate their inputs, and draw random numbers only from the
generator they are given, so they can be property-tested at numpy speed.
"""
