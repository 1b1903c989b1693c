// The dashboard's one script, for both of its pages: the dashboard itself, and
// the sandboxed frame its widget preview runs in (which page is which, the
// page's <body data-page> says).
import 'uplot/dist/uPlot.min.css';
import '../style.css';
import { startDashboard } from './app.js';
import { startPreviewFrame } from './preview/frame.js';

if (document.body.dataset.page === 'preview') startPreviewFrame();
else startDashboard();
