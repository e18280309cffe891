/** The small "emails per month" bar chart of a contact's Relationship panel (its own chunk: chart.js). */
import { BarElement, CategoryScale, Chart as ChartJS, type ChartOptions, LinearScale, Tooltip } from "chart.js";
import { Bar } from "react-chartjs-2";

ChartJS.register(BarElement, CategoryScale, LinearScale, Tooltip);

export default function EmailsChart({
  months,
  summary,
}: {
  months: { label: string; count: number }[];
  summary: string;
}) {
  const options: ChartOptions<"bar"> = {
    responsive: true,
    maintainAspectRatio: false,
    animation: false,
    plugins: { legend: { display: false } },
    scales: { y: { beginAtZero: true, ticks: { precision: 0 } } },
  };
  return (
    <Bar
      aria-label={`Bar chart of emails per month. ${summary}`}
      role="img"
      options={options}
      data={{
        labels: months.map((m) => m.label),
        datasets: [{ label: "Emails", data: months.map((m) => m.count), backgroundColor: "#2563eb" }],
      }}
    />
  );
}
