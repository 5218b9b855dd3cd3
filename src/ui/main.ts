// The playground page (index.html): everything is in <tabdock-playground>.
import './playground/playground.ts';
