package dev.mailbatch.mail;

/**
 * One email to one recipient.
 *
 * @param idempotencyKey the same for every attempt at this (job, recipient), so that a
 *        provider that honours it delivers a retried email once
 */
public record OutgoingEmail(String from, String to, String subject, String text, String html, String idempotencyKey) {}
