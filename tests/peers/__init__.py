"""Drivers of the JVM peers the tests compare against (one module each)."""
