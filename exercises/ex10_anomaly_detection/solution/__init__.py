"""The reference implementation of the learner's parts."""
