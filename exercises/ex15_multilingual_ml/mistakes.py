"""Realistic wrong answers to Exercise 15 that its check must reject (format: bootcamp/grading.py)."""

from __future__ import annotations

from bootcamp.grading import Mistake

MISTAKES: list[Mistake] = [
    Mistake(
        name="kn-without-continuation-counts",
        lesson="Kneser-Ney's lower orders count in how many contexts a word appears, not how often: "
               "'Francisco' is frequent but follows only 'San', so in a new context it is unlikely. "
               "Raw counts at the unigram level make KN an ordinary interpolated model.",
        file="kneser_ney.py",
        old="    for (_v, w) in before2:\n        model.cont1[w] += 1\n",
        new="    for (_u, _v, w), _count in model.trigram.items():\n        model.cont1[w] += _count\n",
        expect="no continuation counts",
        tests=("tests/test_kneser_ney.py::test_the_lower_order_uses_continuation_counts",),
    ),
    Mistake(
        name="kn-without-interpolation",
        lesson="The mass the discount takes from the seen trigrams must go to the lower order; dropped, "
               "the probabilities of a seen context no longer sum to one and every word unseen there "
               "gets zero: an infinite perplexity on the first new phrase.",
        file="kneser_ney.py",
        old="        return (max(self.trigram[(u, v, word)] - d3, 0.0)"
            " + d3 * self.followers3[(u, v)] * p2) / total3\n",
        new="        return max(self.trigram[(u, v, word)] - d3, 0.0) / total3\n",
        expect="no interpolation",
        tests=("tests/test_kneser_ney.py::test_probabilities_sum_to_one_in_every_context",
               "tests/test_kneser_ney.py::test_a_word_unseen_after_a_seen_context_still_has_probability"),
    ),
    Mistake(
        name="vocab-from-all-splits",
        lesson="A vocabulary counted over train + validation + test knows the test's rare words: they "
               "stop being <unk>, the test looks easier, and the figure is no longer what a new "
               "document will see (leakage).",
        file="evaluate.py",
        old='    counts = Counter(token for sentence in splits["train"] for token in sentence)\n',
        new="    counts = Counter(token for split in splits.values()"
            " for sentence in split for token in sentence)\n",
        expect="leakage: the vocabulary was built from the",
        tests=("tests/test_evaluate.py::test_vocab_comes_from_the_training_split_only",),
    ),
    Mistake(
        name="perplexity-averaged-per-sentence",
        lesson="Perplexity is per token: pooling the log-probabilities of all tokens. The mean of "
               "per-sentence perplexities lets a two-token sentence weigh as much as a forty-token one, "
               "and is not comparable with anyone's published figure.",
        file="evaluate.py",
        old="    value = math.exp(-total / n) if n else float(\"nan\")\n",
        new="    per_sentence = [math.exp(-sum(row) / len(row)) for row in logprobs if len(row)]\n"
            "    value = sum(per_sentence) / len(per_sentence) if per_sentence else float(\"nan\")\n",
        expect="perplexity averaged per sentence instead of per token",
        tests=("tests/test_evaluate.py::test_perplexity_is_per_token_over_all_sentences",),
    ),
    Mistake(
        name="unk-skipped-in-perplexity",
        lesson="Skipping <unk> tokens drops the hardest predictions, and a model with a smaller "
               "vocabulary skips more of them: it wins by knowing less.",
        file="evaluate.py",
        old="    for row in logprobs:\n        total += float(sum(row))\n        n += len(row)\n",
        new="    for sentence, row in zip(sentences, logprobs, strict=True):\n"
            "        kept = [lp for token, lp in zip(sentence, row, strict=True) if token in vocab]\n"
            "        total += float(sum(kept))\n        n += len(kept)\n",
        expect="<unk> tokens skipped in perplexity",
        tests=("tests/test_evaluate.py::test_unknown_words_count_in_perplexity",),
    ),
    Mistake(
        name="fine-tune-from-scratch",
        lesson="An entity has a few thousand tokens: a model trained on them alone has not learnt the "
               "language. Per-entity models start from the language model's parameters.",
        file="finetune.py",
        old="    params, _log = neural.train(base.params, ids, base.vocab.eos, config)\n",
        new="    fresh = neural.init(len(base.vocab), config)\n"
            "    params, _log = neural.train(fresh, ids, base.vocab.eos, config)\n",
        expect="fine-tuned from scratch",
        tests=("tests/test_finetune.py::test_fine_tune_starts_from_the_language_model",),
    ),
    Mistake(
        name="promote-without-comparing",
        lesson="The newest version is a challenger, not a champion: moving `champion` to every new "
               "version ships a worse model whenever a run is worse (a bad shard, a bad seed).",
        file="promotion.py",
        old='    if champion is None:\n        return Decision(True, "no champion yet")\n',
        new='    return Decision(True, "the newest version becomes champion")\n',
        expect="promoted without comparing",
        tests=("tests/test_promotion.py::test_promotes_only_a_lower_perplexity_on_the_same_evaluation",),
    ),
    Mistake(
        name="perplexity-compared-as-higher-is-better",
        lesson="Perplexity is a loss: lower is better. Reusing an accuracy-style 'greater wins' rule "
               "promotes every worse model and keeps every better one out.",
        file="promotion.py",
        old="    if candidate.perplexity <= bar:\n",
        new="    if candidate.perplexity >= bar:\n",
        expect="a lower perplexity is better",
        tests=("tests/test_promotion.py::test_promotes_only_a_lower_perplexity_on_the_same_evaluation",),
    ),
    Mistake(
        name="compared-on-another-test-set",
        lesson="Two perplexities are comparable only on the same outcomes and the same text: a champion "
               "measured with another vocabulary or test split says nothing about the candidate.",
        file="promotion.py",
        old="    if candidate.eval_key != champion.eval_key:\n",
        new="    if False:\n",
        expect="another test set or vocabulary",
        tests=("tests/test_promotion.py::test_promotes_only_a_lower_perplexity_on_the_same_evaluation",),
    ),
    Mistake(
        name="no-fallback-to-the-language-model",
        lesson="Most entities have no model of their own (new modules, too little text): without the "
               "fallback to the language's model, each of them is an error instead of an answer.",
        file="promotion.py",
        old="        if has_champion(own):\n            return own, False\n",
        new="        return own, False\n",
        expect="no fallback",
        tests=("tests/test_promotion.py::test_serving_falls_back_from_entity_to_language",),
    ),
]
