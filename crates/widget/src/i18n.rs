//! The widget's own words in each language it speaks: English, German, French,
//! Spanish and Arabic (right to left). The widget's locale comes from its config;
//! `auto` follows the visitor's browser. The site owner's words (title, greeting,
//! starter prompts) are shown as they are.

/// A language the widget speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    En,
    De,
    Fr,
    Es,
    Ar,
}

impl Lang {
    /// The language for a locale tag (`de`, `fr-CA`, `ar-EG`); English for one
    /// the widget does not speak.
    pub fn from_tag(tag: &str) -> Lang {
        let primary = tag.split(['-', '_']).next().unwrap_or_default();
        [Lang::De, Lang::Fr, Lang::Es, Lang::Ar]
            .into_iter()
            .find(|lang| primary.eq_ignore_ascii_case(lang.tag()))
            .unwrap_or(Lang::En)
    }

    /// The widget's configured locale, or for `auto` the browser's
    /// (`navigator.language`, passed in so that this stays testable).
    pub fn resolve(configured: &str, browser: Option<&str>) -> Lang {
        if configured.eq_ignore_ascii_case("auto") {
            Lang::from_tag(browser.unwrap_or("en"))
        } else {
            Lang::from_tag(configured)
        }
    }

    /// The `lang` attribute of the panel.
    pub fn tag(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::De => "de",
            Lang::Fr => "fr",
            Lang::Es => "es",
            Lang::Ar => "ar",
        }
    }

    /// The `dir` attribute of the panel.
    pub fn dir(self) -> &'static str {
        match self {
            Lang::Ar => "rtl",
            _ => "ltr",
        }
    }

    pub const fn text(self) -> &'static Texts {
        match self {
            Lang::En => &EN,
            Lang::De => &DE,
            Lang::Fr => &FR,
            Lang::Es => &ES,
            Lang::Ar => &AR,
        }
    }
}

/// Every sentence and label the widget writes itself.
#[derive(Debug, PartialEq, Eq)]
pub struct Texts {
    pub placeholder: &'static str,
    pub message_label: &'static str,
    pub send: &'static str,
    pub stop: &'static str,
    pub close_chat: &'static str,
    /// The launcher's label while the panel is closed.
    pub open_chat: &'static str,
    /// Before the launcher's count of answers that came while it was closed.
    pub unread: &'static str,
    /// The starter prompts' group.
    pub suggested_questions: &'static str,
    pub try_again: &'static str,
    pub rate_answer: &'static str,
    pub helpful: &'static str,
    pub not_helpful: &'static str,
    pub origin_not_allowed: &'static str,
    pub widget_disabled: &'static str,
    /// Paused by the marketplace it was bought on, or its month's messages
    /// are used up: either way, later.
    pub paused: &'static str,
    pub key_gone: &'static str,
    pub budget_exhausted: &'static str,
    pub unavailable: &'static str,
    pub offline: &'static str,
    pub broken_answer: &'static str,
    pub something_wrong: &'static str,
    /// "Too many messages… wait", then the wait, then "and try again." (parts,
    /// not a template: no string search in the Wasm).
    pub rate_limited: (&'static str, &'static str),
    pub a_moment: &'static str,
    pub one_second: &'static str,
    /// After the number: " seconds", " minutes".
    pub seconds: &'static str,
    pub minutes: &'static str,
}

impl Texts {
    /// The rate-limit sentence for a wait of `retry_after` seconds.
    pub fn rate_limited(&self, retry_after: Option<u64>) -> String {
        let wait = match retry_after {
            Some(0) | None => self.a_moment.to_owned(),
            Some(1) => self.one_second.to_owned(),
            Some(seconds @ ..=90) => format!("{seconds}{}", self.seconds),
            Some(seconds) => format!("{}{}", seconds.div_ceil(60), self.minutes),
        };
        let (before, after) = self.rate_limited;
        format!("{before}{wait}{after}")
    }
}

static EN: Texts = Texts {
    placeholder: "Type your message…",
    message_label: "Message",
    send: "Send",
    stop: "Stop",
    close_chat: "Close chat",
    open_chat: "Open chat",
    unread: " – unread: ",
    suggested_questions: "Suggested questions",
    try_again: "Try again",
    rate_answer: "Rate this answer",
    helpful: "Helpful",
    not_helpful: "Not helpful",
    origin_not_allowed: "This website is not allowed to use this chat.",
    widget_disabled: "This chat is turned off at the moment.",
    paused: "This chat is paused for now. Please come back later.",
    key_gone: "This chat is no longer set up on this website. Please tell the site owner.",
    budget_exhausted: "This chat has answered all it can for today. Please come back tomorrow.",
    unavailable: "The assistant is unavailable right now. Please try again.",
    offline: "You seem to be offline. Check your connection and try again.",
    broken_answer: "Something went wrong with this answer. Please try again.",
    something_wrong: "Something went wrong. Please try again.",
    rate_limited: (
        "Too many messages right now. Please wait ",
        " and try again.",
    ),
    a_moment: "a moment",
    one_second: "1 second",
    seconds: " seconds",
    minutes: " minutes",
};

static DE: Texts = Texts {
    placeholder: "Nachricht eingeben…",
    message_label: "Nachricht",
    send: "Senden",
    stop: "Stopp",
    close_chat: "Chat schließen",
    open_chat: "Chat öffnen",
    unread: " – ungelesen: ",
    suggested_questions: "Vorgeschlagene Fragen",
    try_again: "Erneut versuchen",
    rate_answer: "Diese Antwort bewerten",
    helpful: "Hilfreich",
    not_helpful: "Nicht hilfreich",
    origin_not_allowed: "Diese Website darf diesen Chat nicht verwenden.",
    widget_disabled: "Dieser Chat ist gerade ausgeschaltet.",
    paused: "Dieser Chat ist vorübergehend pausiert. Bitte kommen Sie später wieder.",
    key_gone: "Dieser Chat ist auf dieser Website nicht mehr eingerichtet. Bitte sagen Sie es dem Betreiber der Website.",
    budget_exhausted: "Dieser Chat hat für heute alles beantwortet, was er kann. Bitte kommen Sie morgen wieder.",
    unavailable: "Der Assistent ist gerade nicht erreichbar. Bitte versuchen Sie es erneut.",
    offline: "Sie scheinen offline zu sein. Prüfen Sie Ihre Verbindung und versuchen Sie es erneut.",
    broken_answer: "Bei dieser Antwort ist etwas schiefgegangen. Bitte versuchen Sie es erneut.",
    something_wrong: "Etwas ist schiefgegangen. Bitte versuchen Sie es erneut.",
    rate_limited: (
        "Gerade sind es zu viele Nachrichten. Bitte warten Sie ",
        " und versuchen Sie es dann erneut.",
    ),
    a_moment: "einen Moment",
    one_second: "1 Sekunde",
    seconds: " Sekunden",
    minutes: " Minuten",
};

static FR: Texts = Texts {
    placeholder: "Écrivez votre message…",
    message_label: "Message",
    send: "Envoyer",
    stop: "Arrêter",
    close_chat: "Fermer la discussion",
    open_chat: "Ouvrir la discussion",
    unread: " – non lus : ",
    suggested_questions: "Questions suggérées",
    try_again: "Réessayer",
    rate_answer: "Évaluer cette réponse",
    helpful: "Utile",
    not_helpful: "Pas utile",
    origin_not_allowed: "Ce site n’est pas autorisé à utiliser cette discussion.",
    widget_disabled: "Cette discussion est désactivée pour le moment.",
    paused: "Cette discussion est en pause pour le moment. Revenez plus tard.",
    key_gone: "Cette discussion n’est plus configurée sur ce site. Merci de prévenir le propriétaire du site.",
    budget_exhausted: "Cette discussion a répondu à tout ce qu’elle pouvait aujourd’hui. Revenez demain.",
    unavailable: "L’assistant n’est pas disponible pour le moment. Veuillez réessayer.",
    offline: "Vous semblez hors ligne. Vérifiez votre connexion et réessayez.",
    broken_answer: "Un problème est survenu avec cette réponse. Veuillez réessayer.",
    something_wrong: "Un problème est survenu. Veuillez réessayer.",
    rate_limited: (
        "Trop de messages pour le moment. Veuillez patienter ",
        ", puis réessayer.",
    ),
    a_moment: "un instant",
    one_second: "1 seconde",
    seconds: " secondes",
    minutes: " minutes",
};

static ES: Texts = Texts {
    placeholder: "Escribe tu mensaje…",
    message_label: "Mensaje",
    send: "Enviar",
    stop: "Detener",
    close_chat: "Cerrar el chat",
    open_chat: "Abrir el chat",
    unread: " – sin leer: ",
    suggested_questions: "Preguntas sugeridas",
    try_again: "Reintentar",
    rate_answer: "Valorar esta respuesta",
    helpful: "Útil",
    not_helpful: "No es útil",
    origin_not_allowed: "Este sitio web no puede usar este chat.",
    widget_disabled: "Este chat está desactivado en este momento.",
    paused: "Este chat está en pausa por ahora. Vuelve más tarde.",
    key_gone: "Este chat ya no está configurado en este sitio web. Avisa al propietario del sitio.",
    budget_exhausted: "Este chat ya ha respondido todo lo que podía hoy. Vuelve mañana.",
    unavailable: "El asistente no está disponible ahora mismo. Inténtalo de nuevo.",
    offline: "Parece que no tienes conexión. Compruébala e inténtalo de nuevo.",
    broken_answer: "Algo ha fallado con esta respuesta. Inténtalo de nuevo.",
    something_wrong: "Algo ha fallado. Inténtalo de nuevo.",
    rate_limited: (
        "Demasiados mensajes ahora mismo. Espera ",
        " e inténtalo de nuevo.",
    ),
    a_moment: "un momento",
    one_second: "1 segundo",
    seconds: " segundos",
    minutes: " minutos",
};

static AR: Texts = Texts {
    placeholder: "اكتب رسالتك…",
    message_label: "الرسالة",
    send: "إرسال",
    stop: "إيقاف",
    close_chat: "إغلاق المحادثة",
    open_chat: "فتح المحادثة",
    unread: " – غير مقروءة: ",
    suggested_questions: "أسئلة مقترحة",
    try_again: "إعادة المحاولة",
    rate_answer: "قيّم هذه الإجابة",
    helpful: "مفيدة",
    not_helpful: "غير مفيدة",
    origin_not_allowed: "لا يُسمح لهذا الموقع باستخدام هذه المحادثة.",
    widget_disabled: "هذه المحادثة متوقفة حاليًا.",
    paused: "هذه المحادثة متوقفة مؤقتًا. يُرجى العودة لاحقًا.",
    key_gone: "لم تعد هذه المحادثة مُعدّة على هذا الموقع. يُرجى إبلاغ صاحب الموقع.",
    budget_exhausted: "أجابت هذه المحادثة عن كل ما تستطيعه اليوم. يُرجى العودة غدًا.",
    unavailable: "المساعد غير متاح الآن. يُرجى المحاولة مرة أخرى.",
    offline: "يبدو أنك غير متصل بالإنترنت. تحقّق من اتصالك وحاول مرة أخرى.",
    broken_answer: "حدث خطأ في هذه الإجابة. يُرجى المحاولة مرة أخرى.",
    something_wrong: "حدث خطأ ما. يُرجى المحاولة مرة أخرى.",
    rate_limited: (
        "الرسائل كثيرة جدًا الآن. يُرجى الانتظار ",
        " ثم المحاولة مرة أخرى.",
    ),
    a_moment: "لحظة",
    one_second: "ثانية واحدة",
    seconds: " ثانية",
    minutes: " دقيقة",
};
