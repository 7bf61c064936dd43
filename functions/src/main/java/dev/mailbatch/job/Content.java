package dev.mailbatch.job;

/**
 * What is sent to every recipient of a job: written once at submit, in an item of its own, and
 * never changed, so a worker may keep it. text or html may be null, not both.
 */
public record Content(String from, String subject, String text, String html) {}
