/*
 * vod_lang.c: ISO 639 codes to BCP 47 tags (see vod_lang.h), with a table
 * of the ISO 639-1 languages: their 639-1, 639-2/T and, where it differs,
 * 639-2/B codes, and their English names.
 */

#include "vod_lang.h"


typedef struct {
    const char   *tag;                /* ISO 639-1 */
    const char   *t;                  /* ISO 639-2/T, as mdhd has it */
    const char   *b;                  /* ISO 639-2/B, or NULL */
    const char   *name;
} vod_lang_t;


static int vod_lang_lower(const char *code, size_t len);


static vod_lang_t  vod_langs[] = {
    { "aa", "aar", NULL, "Afar" },
    { "ab", "abk", NULL, "Abkhazian" },
    { "ae", "ave", NULL, "Avestan" },
    { "af", "afr", NULL, "Afrikaans" },
    { "ak", "aka", NULL, "Akan" },
    { "am", "amh", NULL, "Amharic" },
    { "an", "arg", NULL, "Aragonese" },
    { "ar", "ara", NULL, "Arabic" },
    { "as", "asm", NULL, "Assamese" },
    { "av", "ava", NULL, "Avaric" },
    { "ay", "aym", NULL, "Aymara" },
    { "az", "aze", NULL, "Azerbaijani" },
    { "ba", "bak", NULL, "Bashkir" },
    { "be", "bel", NULL, "Belarusian" },
    { "bg", "bul", NULL, "Bulgarian" },
    { "bi", "bis", NULL, "Bislama" },
    { "bm", "bam", NULL, "Bambara" },
    { "bn", "ben", NULL, "Bengali" },
    { "bo", "bod", "tib", "Tibetan" },
    { "br", "bre", NULL, "Breton" },
    { "bs", "bos", NULL, "Bosnian" },
    { "ca", "cat", NULL, "Catalan" },
    { "ce", "che", NULL, "Chechen" },
    { "ch", "cha", NULL, "Chamorro" },
    { "co", "cos", NULL, "Corsican" },
    { "cr", "cre", NULL, "Cree" },
    { "cs", "ces", "cze", "Czech" },
    { "cu", "chu", NULL, "Church Slavic" },
    { "cv", "chv", NULL, "Chuvash" },
    { "cy", "cym", "wel", "Welsh" },
    { "da", "dan", NULL, "Danish" },
    { "de", "deu", "ger", "German" },
    { "dv", "div", NULL, "Divehi" },
    { "dz", "dzo", NULL, "Dzongkha" },
    { "ee", "ewe", NULL, "Ewe" },
    { "el", "ell", "gre", "Greek" },
    { "en", "eng", NULL, "English" },
    { "eo", "epo", NULL, "Esperanto" },
    { "es", "spa", NULL, "Spanish" },
    { "et", "est", NULL, "Estonian" },
    { "eu", "eus", "baq", "Basque" },
    { "fa", "fas", "per", "Persian" },
    { "ff", "ful", NULL, "Fulah" },
    { "fi", "fin", NULL, "Finnish" },
    { "fj", "fij", NULL, "Fijian" },
    { "fo", "fao", NULL, "Faroese" },
    { "fr", "fra", "fre", "French" },
    { "fy", "fry", NULL, "Western Frisian" },
    { "ga", "gle", NULL, "Irish" },
    { "gd", "gla", NULL, "Scottish Gaelic" },
    { "gl", "glg", NULL, "Galician" },
    { "gn", "grn", NULL, "Guarani" },
    { "gu", "guj", NULL, "Gujarati" },
    { "gv", "glv", NULL, "Manx" },
    { "ha", "hau", NULL, "Hausa" },
    { "he", "heb", NULL, "Hebrew" },
    { "hi", "hin", NULL, "Hindi" },
    { "ho", "hmo", NULL, "Hiri Motu" },
    { "hr", "hrv", NULL, "Croatian" },
    { "ht", "hat", NULL, "Haitian" },
    { "hu", "hun", NULL, "Hungarian" },
    { "hy", "hye", "arm", "Armenian" },
    { "hz", "her", NULL, "Herero" },
    { "ia", "ina", NULL, "Interlingua" },
    { "id", "ind", NULL, "Indonesian" },
    { "ie", "ile", NULL, "Interlingue" },
    { "ig", "ibo", NULL, "Igbo" },
    { "ii", "iii", NULL, "Sichuan Yi" },
    { "ik", "ipk", NULL, "Inupiaq" },
    { "io", "ido", NULL, "Ido" },
    { "is", "isl", "ice", "Icelandic" },
    { "it", "ita", NULL, "Italian" },
    { "iu", "iku", NULL, "Inuktitut" },
    { "ja", "jpn", NULL, "Japanese" },
    { "jv", "jav", NULL, "Javanese" },
    { "ka", "kat", "geo", "Georgian" },
    { "kg", "kon", NULL, "Kongo" },
    { "ki", "kik", NULL, "Kikuyu" },
    { "kj", "kua", NULL, "Kuanyama" },
    { "kk", "kaz", NULL, "Kazakh" },
    { "kl", "kal", NULL, "Kalaallisut" },
    { "km", "khm", NULL, "Khmer" },
    { "kn", "kan", NULL, "Kannada" },
    { "ko", "kor", NULL, "Korean" },
    { "kr", "kau", NULL, "Kanuri" },
    { "ks", "kas", NULL, "Kashmiri" },
    { "ku", "kur", NULL, "Kurdish" },
    { "kv", "kom", NULL, "Komi" },
    { "kw", "cor", NULL, "Cornish" },
    { "ky", "kir", NULL, "Kirghiz" },
    { "la", "lat", NULL, "Latin" },
    { "lb", "ltz", NULL, "Luxembourgish" },
    { "lg", "lug", NULL, "Ganda" },
    { "li", "lim", NULL, "Limburgish" },
    { "ln", "lin", NULL, "Lingala" },
    { "lo", "lao", NULL, "Lao" },
    { "lt", "lit", NULL, "Lithuanian" },
    { "lu", "lub", NULL, "Luba-Katanga" },
    { "lv", "lav", NULL, "Latvian" },
    { "mg", "mlg", NULL, "Malagasy" },
    { "mh", "mah", NULL, "Marshallese" },
    { "mi", "mri", "mao", "Maori" },
    { "mk", "mkd", "mac", "Macedonian" },
    { "ml", "mal", NULL, "Malayalam" },
    { "mn", "mon", NULL, "Mongolian" },
    { "mr", "mar", NULL, "Marathi" },
    { "ms", "msa", "may", "Malay" },
    { "mt", "mlt", NULL, "Maltese" },
    { "my", "mya", "bur", "Burmese" },
    { "na", "nau", NULL, "Nauru" },
    { "nb", "nob", NULL, "Norwegian Bokmal" },
    { "nd", "nde", NULL, "North Ndebele" },
    { "ne", "nep", NULL, "Nepali" },
    { "ng", "ndo", NULL, "Ndonga" },
    { "nl", "nld", "dut", "Dutch" },
    { "nn", "nno", NULL, "Norwegian Nynorsk" },
    { "no", "nor", NULL, "Norwegian" },
    { "nr", "nbl", NULL, "South Ndebele" },
    { "nv", "nav", NULL, "Navajo" },
    { "ny", "nya", NULL, "Chichewa" },
    { "oc", "oci", NULL, "Occitan" },
    { "oj", "oji", NULL, "Ojibwa" },
    { "om", "orm", NULL, "Oromo" },
    { "or", "ori", NULL, "Oriya" },
    { "os", "oss", NULL, "Ossetian" },
    { "pa", "pan", NULL, "Punjabi" },
    { "pi", "pli", NULL, "Pali" },
    { "pl", "pol", NULL, "Polish" },
    { "ps", "pus", NULL, "Pashto" },
    { "pt", "por", NULL, "Portuguese" },
    { "qu", "que", NULL, "Quechua" },
    { "rm", "roh", NULL, "Romansh" },
    { "rn", "run", NULL, "Rundi" },
    { "ro", "ron", "rum", "Romanian" },
    { "ru", "rus", NULL, "Russian" },
    { "rw", "kin", NULL, "Kinyarwanda" },
    { "sa", "san", NULL, "Sanskrit" },
    { "sc", "srd", NULL, "Sardinian" },
    { "sd", "snd", NULL, "Sindhi" },
    { "se", "sme", NULL, "Northern Sami" },
    { "sg", "sag", NULL, "Sango" },
    { "si", "sin", NULL, "Sinhala" },
    { "sk", "slk", "slo", "Slovak" },
    { "sl", "slv", NULL, "Slovenian" },
    { "sm", "smo", NULL, "Samoan" },
    { "sn", "sna", NULL, "Shona" },
    { "so", "som", NULL, "Somali" },
    { "sq", "sqi", "alb", "Albanian" },
    { "sr", "srp", NULL, "Serbian" },
    { "ss", "ssw", NULL, "Swati" },
    { "st", "sot", NULL, "Southern Sotho" },
    { "su", "sun", NULL, "Sundanese" },
    { "sv", "swe", NULL, "Swedish" },
    { "sw", "swa", NULL, "Swahili" },
    { "ta", "tam", NULL, "Tamil" },
    { "te", "tel", NULL, "Telugu" },
    { "tg", "tgk", NULL, "Tajik" },
    { "th", "tha", NULL, "Thai" },
    { "ti", "tir", NULL, "Tigrinya" },
    { "tk", "tuk", NULL, "Turkmen" },
    { "tl", "tgl", NULL, "Tagalog" },
    { "tn", "tsn", NULL, "Tswana" },
    { "to", "ton", NULL, "Tonga" },
    { "tr", "tur", NULL, "Turkish" },
    { "ts", "tso", NULL, "Tsonga" },
    { "tt", "tat", NULL, "Tatar" },
    { "tw", "twi", NULL, "Twi" },
    { "ty", "tah", NULL, "Tahitian" },
    { "ug", "uig", NULL, "Uighur" },
    { "uk", "ukr", NULL, "Ukrainian" },
    { "ur", "urd", NULL, "Urdu" },
    { "uz", "uzb", NULL, "Uzbek" },
    { "ve", "ven", NULL, "Venda" },
    { "vi", "vie", NULL, "Vietnamese" },
    { "vo", "vol", NULL, "Volapuk" },
    { "wa", "wln", NULL, "Walloon" },
    { "wo", "wol", NULL, "Wolof" },
    { "xh", "xho", NULL, "Xhosa" },
    { "yi", "yid", NULL, "Yiddish" },
    { "yo", "yor", NULL, "Yoruba" },
    { "za", "zha", NULL, "Zhuang" },
    { "zh", "zho", "chi", "Chinese" },
    { "zu", "zul", NULL, "Zulu" },
};


void
vod_lang_bcp47(const char *code, size_t len, char out[VOD_LANG_LEN])
{
    size_t       i;
    vod_lang_t  *l;

    memcpy(out, "und", 4);

    if ((len != 2 && len != 3) || !vod_lang_lower(code, len)) {
        return;
    }

    for (i = 0; i < sizeof(vod_langs) / sizeof(vod_langs[0]); i++) {
        l = &vod_langs[i];

        if (len == 2) {
            if (memcmp(code, l->tag, 2) == 0) {
                memcpy(out, l->tag, 3);
                return;
            }

            continue;
        }

        if (memcmp(code, l->t, 3) == 0
            || (l->b != NULL && memcmp(code, l->b, 3) == 0))
        {
            memcpy(out, l->tag, 3);
            return;
        }
    }

    if (len == 3) {
        /* a language without a two-letter code keeps its three letters
         * ("und" stays "und") */
        memcpy(out, code, 3);
        out[3] = '\0';
    }
}


const char *
vod_lang_name(const char *tag)
{
    size_t  i;

    for (i = 0; i < sizeof(vod_langs) / sizeof(vod_langs[0]); i++) {
        if (strcmp(tag, vod_langs[i].tag) == 0) {
            return vod_langs[i].name;
        }
    }

    return NULL;
}


static int
vod_lang_lower(const char *code, size_t len)
{
    size_t  i;

    for (i = 0; i < len; i++) {
        if (code[i] < 'a' || code[i] > 'z') {
            return 0;
        }
    }

    return 1;
}
