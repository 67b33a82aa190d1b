"""Teacher and maintainer tools for the course. Not a lesson: learners never import these.

``tools/grade.py`` (``./course grade``) grades learners' notebooks; see docs/teaching.md.
``tools/starter.py`` makes the learner's copy of notebook 07 from its solved notebook.
"""
