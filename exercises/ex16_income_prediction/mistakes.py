"""Realistic wrong answers to Exercise 16 that its check must reject (format: bootcamp/grading.py)."""

from __future__ import annotations

from bootcamp.grading import Mistake

MISTAKES: list[Mistake] = [
    Mistake(
        name="scaler-fitted-on-all-rows",
        lesson="Fitting the scaler (and the encoder) on train + test leaks the test split's statistics into "
               "every model scored on it: the metrics look better than production will.",
        file="features.py",
        old='        fitted = (splits["train"]\n',
        new='        fitted = ((splits["train"], splits["test"]) | "AllRows" >> beam.Flatten()\n',
        expect="leakage: the scaler's statistics are not the training split's",
        tests=("tests/test_features.py::test_the_pipeline_fits_the_scaler_on_the_training_split_only",),
    ),
    Mistake(
        name="question-mark-kept-as-category",
        lesson="adult.data writes a missing value as `?`; kept, it becomes a category the one-hot encoder "
               "learns, and the rows that had no value silently count as a class of their own.",
        file="clean.py",
        old='if value in (MISSING, "")]',
        new='if value == ""]',
        expect="'?' kept as a category",
        tests=("tests/test_clean.py::test_question_mark_is_a_dead_letter_naming_the_fields",),
    ),
    Mistake(
        name="test-label-dot-kept",
        lesson="adult.test ends every label with a dot (`>50K.`): not stripped, no test row has a known "
               "label, and every held-out row is lost (or, mapped loosely, mislabelled).",
        file="clean.py",
        old='label = str(record["income"]).rstrip(".")',
        new='label = str(record["income"])',
        expect="trailing dot not stripped",
        tests=("tests/test_clean.py::test_trailing_dot_of_the_test_labels_is_stripped",),
    ),
    Mistake(
        name="no-fallback-for-small-levels",
        lesson="A per-entity model trained on 40 rows overfits: without a minimum group size and a "
               "fallback to the global model, the smallest levels get the worst predictions.",
        file="train.py",
        old="    if needs_fallback(n, positive, settings):\n",
        new="    if own is None:\n",
        expect="no fallback for small groups",
        tests=("tests/test_train.py::test_a_small_level_is_served_by_the_global_model",),
    ),
    Mistake(
        name="fallback-ignores-class-balance",
        lesson="Enough rows is not enough: a level with 1,000 rows and 10 positives cannot learn the "
               "positive class either; the minimum applies to each class.",
        file="train.py",
        old=" or min(n_positive, n_rows - n_positive) < settings.min_class",
        new="",
        expect="fewer positives than min_class must fall back",
        tests=("tests/test_train.py::test_needs_fallback_below_the_minimum_rows_or_class_count",),
    ),
    Mistake(
        name="global-compared-on-all-rows",
        lesson="Comparing a level's model with the global model's headline metric compares it with other "
               "people: the global model must be scored on the same level's rows.",
        file="train.py",
        old="        global_=score(global_model, people),\n",
        new="        global_=global_overall,\n",
        expect="global model compared on all rows",
        tests=("tests/test_train.py::test_the_global_model_is_compared_on_the_levels_own_rows",),
    ),
    Mistake(
        name="stages-instead-of-aliases",
        lesson="Model stages (Staging/Production) are deprecated in MLflow; with one model per entity, "
               "serving follows aliases (`champion`), which stages cannot replace.",
        file="register.py",
        old="    client.set_registered_model_alias(name, CHALLENGER, registered)\n",
        new="    client.transition_model_version_stage(name, registered, \"Staging\")\n",
        expect="registering with stages",
        tests=("tests/test_registry.py::test_register_tags_the_entity_and_moves_aliases_by_auc",),
    ),
    Mistake(
        name="no-entity-tag",
        lesson="Without the entity in the registered model's tags, nothing but a naming convention says "
               "which education level a model serves: search and the service's error message lose it.",
        file="register.py",
        old="    client.set_registered_model_tag(name, ENTITY_TAG, level)\n",
        new="",
        expect="must carry the entity in its tags",
        tests=("tests/test_registry.py::test_register_tags_the_entity_and_moves_aliases_by_auc",),
    ),
    Mistake(
        name="champion-moved-unconditionally",
        lesson="A new version is a challenger; moving `champion` to it whatever its metric ships a worse "
               "model to every client that follows the alias.",
        file="register.py",
        old='    champion = promote(client, name, registered, "auc")\n',
        new='    client.set_registered_model_alias(name, "champion", registered)\n    champion = True\n',
        expect="a worse version must not take the champion alias",
        tests=("tests/test_registry.py::test_register_tags_the_entity_and_moves_aliases_by_auc",),
    ),
]
