"""The application layer: the ``memenv`` console script and what it runs.

``memenv eval`` (:mod:`memenv_app.evaluation`), ``memenv bench`` (:mod:`memenv_app.bench`),
``memenv train`` / ``train-eval`` (:mod:`memenv_app.train_cli`), ``memenv data stats`` and
``memenv demo`` (:mod:`memenv_app.demo`). It sits above every other package (memenv, agents,
baselines) and nothing imports it.
"""
