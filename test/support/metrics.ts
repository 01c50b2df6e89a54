/** The value of each series of one metric a service exposes on `${baseUrl}/metrics`, by its label text. */
export async function metricSeries(baseUrl: string, metric: string): Promise<Map<string, number>> {
  const text = await (await fetch(`${baseUrl}/metrics`)).text();
  const series = new Map<string, number>();
  for (const line of text.split('\n')) {
    const match = new RegExp(`^${metric}\\{([^}]*)\\} (\\S+)$`).exec(line);
    if (match?.[1] !== undefined) series.set(match[1], Number(match[2]));
  }
  return series;
}
