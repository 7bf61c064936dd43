package dev.mailbatch.mail;

/**
 * One email to one recipient.
 *
 * @param deliveryKey the same for every attempt at this (job, recipient), sent as the provider's
 *     {@code Idempotency-Key} header so that a provider that honours it delivers a retried email once
 */
public record OutgoingEmail(String from, String to, String subject, String text, String html, String deliveryKey) {}
