"""Teacher and maintainer tools for the course. Not a lesson: learners never import these.

``tools/grade.py`` (``./course grade``) grades learners' notebooks; see docs/teaching.md.
"""
