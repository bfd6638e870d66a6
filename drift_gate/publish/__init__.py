"""Outputs that are not reports: CloudWatch metrics, GitHub outputs and the step summary.

Kept apart from sources/ (which only read) and report/ (which only render text).
"""
