package dev.mailbatch.job;

import java.util.List;

/** One page of a job's recipients; nextCursor is null on the last page. */
public record RecipientPage(List<Recipient> items, String nextCursor) {}
